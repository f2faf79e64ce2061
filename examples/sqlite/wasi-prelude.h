/*
 * Included before sqlite3.c (clang -include) for wasm32-wasi. Under WASI SQLite leaves
 * out <sys/mman.h>, yet its memory-mapped I/O code needs the PROT_ and MAP_ constants;
 * and it calls getpagesize(), which wasi-libc does not declare (sqlite-query.c defines
 * it).
 */
#include <sys/mman.h>

int getpagesize(void);
