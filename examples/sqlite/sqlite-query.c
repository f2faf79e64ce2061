/*
 * sqlite-query [--mmap-size N] [--time] DB [SQL...]: opens the SQLite database DB
 * read-only and runs each SQL argument (one or more statements); without SQL arguments
 * it runs each line of standard input instead, so that a caller can query again after
 * the file changed. Every result row is one line of JSON: an array of the columns, an
 * integer or real as a JSON number, text as a JSON string, a blob as {"blob":"<hex>"},
 * NULL as null. An empty line ends the rows of each SQL argument or input line.
 * --time prints "time NS" before that empty line: how long the SQL took, in ns.
 *
 * With --mmap-size N (N > 0) SQLite reads the file through mmap(), up to N bytes of it.
 * Built with sdk/c/mmap_wasi_mman.c that is mmap-wasi's guest mappings: the file's own
 * pages in the guest's memory. Built with wasi-libc's -lwasi-emulated-mman instead,
 * mmap() copies the mapped range into the guest's memory. N = 0 (the default) reads
 * with pread(). examples/build-native-guests.sh builds both.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"

/* The largest mmap_size SQLite was built to accept (build-native-guests.sh passes it). */
#ifndef SQLITE_MAX_MMAP_SIZE
#define SQLITE_MAX_MMAP_SIZE 0x7fff0000
#endif

/* SQLite asks for the page size to round its mappings. wasi-libc has no getpagesize();
 * wasi-prelude.h declares it for sqlite3.c, and this defines it. */
int getpagesize(void) { return PAGESIZE; }

static void print_json_string(const unsigned char *text, int length) {
  putchar('"');
  for (int i = 0; i < length; i++) {
    unsigned char c = text[i];
    if (c == '"' || c == '\\') {
      putchar('\\');
      putchar(c);
    } else if (c < 0x20) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

static void print_row(sqlite3_stmt *statement) {
  int columns = sqlite3_column_count(statement);
  putchar('[');
  for (int i = 0; i < columns; i++) {
    if (i) putchar(',');
    switch (sqlite3_column_type(statement, i)) {
    case SQLITE_INTEGER:
      printf("%" PRId64, (int64_t)sqlite3_column_int64(statement, i));
      break;
    case SQLITE_FLOAT:
      /* 17 significant digits: the same double when read back. */
      printf("%.17g", sqlite3_column_double(statement, i));
      break;
    case SQLITE_TEXT: {
      const unsigned char *text = sqlite3_column_text(statement, i);
      print_json_string(text, sqlite3_column_bytes(statement, i));
      break;
    }
    case SQLITE_BLOB: {
      const unsigned char *bytes = sqlite3_column_blob(statement, i);
      int length = sqlite3_column_bytes(statement, i);
      fputs("{\"blob\":\"", stdout);
      for (int j = 0; j < length; j++) printf("%02x", bytes[j]);
      fputs("\"}", stdout);
      break;
    }
    default:
      fputs("null", stdout);
    }
  }
  puts("]");
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Runs every statement of `sql`, printing its rows; 0, or 1 after printing the error. */
static int run(sqlite3 *db, const char *sql, int timed) {
  int64_t started = now_ns();
  while (*sql) {
    sqlite3_stmt *statement = NULL;
    const char *rest = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, &rest) != SQLITE_OK) {
      fprintf(stderr, "error: %s\n", sqlite3_errmsg(db));
      return 1;
    }
    sql = rest;
    if (!statement) continue; /* whitespace or a comment */
    int status;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW) print_row(statement);
    sqlite3_finalize(statement);
    if (status != SQLITE_DONE) {
      fprintf(stderr, "error: %s\n", sqlite3_errmsg(db));
      return 1;
    }
  }
  if (timed) printf("time %" PRId64 "\n", now_ns() - started);
  putchar('\n');
  fflush(stdout);
  return 0;
}

static int usage(void) {
  fputs("usage: sqlite-query [--mmap-size N] [--time] DB [SQL...]\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  long long mmap_size = 0;
  int timed = 0;
  int arg = 1;
  for (; arg < argc && strncmp(argv[arg], "--", 2) == 0; arg++) {
    if (strcmp(argv[arg], "--time") == 0) {
      timed = 1;
    } else if (strcmp(argv[arg], "--mmap-size") == 0 && arg + 1 < argc) {
      char *end;
      errno = 0;
      mmap_size = strtoll(argv[++arg], &end, 10);
      if (errno || *end || mmap_size < 0) return usage();
    } else {
      return usage();
    }
  }
  if (arg >= argc) return usage();
  const char *path = argv[arg++];

  /* The limit must be set before SQLite initializes; PRAGMA mmap_size below then asks
   * for it on this connection. */
  sqlite3_config(SQLITE_CONFIG_MMAP_SIZE, (sqlite3_int64)mmap_size, (sqlite3_int64)SQLITE_MAX_MMAP_SIZE);
  if (sqlite3_initialize() != SQLITE_OK) {
    fputs("error: sqlite3_initialize failed\n", stderr);
    return 1;
  }
  /* Under WASI SQLite's unix VFS has no mmap in its system-call table: give it ours.
   * Only the "unix-none" VFS (no file locks) has the I/O methods that read through
   * mmap; WASI has no fcntl locks to offer anyway. */
  sqlite3_vfs *vfs = sqlite3_vfs_find("unix-none");
  if (!vfs || vfs->iVersion < 3 ||
      vfs->xSetSystemCall(vfs, "mmap", (sqlite3_syscall_ptr)mmap) != SQLITE_OK ||
      vfs->xSetSystemCall(vfs, "munmap", (sqlite3_syscall_ptr)munmap) != SQLITE_OK) {
    fputs("error: cannot give SQLite's unix-none VFS mmap and munmap\n", stderr);
    return 1;
  }

  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, "unix-none") != SQLITE_OK) {
    fprintf(stderr, "error: cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return 1;
  }
  char pragma[64];
  snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld", mmap_size);
  if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "error: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }

  int failed = 0;
  if (arg < argc) {
    for (; arg < argc && !failed; arg++) failed = run(db, argv[arg], timed);
  } else {
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while (!failed && (length = getline(&line, &capacity, stdin)) >= 0) {
      if (length > 0 && line[length - 1] == '\n') line[length - 1] = '\0';
      failed = run(db, line, timed);
    }
    free(line);
  }
  sqlite3_close(db);
  return failed;
}
