/* flood_stderr: writes argv[1] bytes to its stderr, framed by "BEGIN" and "END", after trying
 * to make stderr take disk or hide data: fallocate, ftruncate and a seek on descriptor 2. Prints
 * each attempt's outcome on stdout, one per line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report(const char *what, long rc) {
    printf("%s %s\n", what, rc >= 0 ? "ok" : strerrorname_np(errno));
}

int main(int argc, char **argv) {
    long total = argc > 1 ? atol(argv[1]) : 0;
    report("fallocate", fallocate(2, FALLOC_FL_KEEP_SIZE, 0, 1L << 30));
    report("ftruncate", ftruncate(2, 1L << 30));
    report("lseek", lseek(2, 1L << 30, SEEK_SET));
    fflush(stdout);
    static char chunk[1 << 16];
    memset(chunk, 'x', sizeof chunk);
    long body = total - 10;
    write(2, "BEGIN\n", 6);
    long written = 6;
    while (body > 0) {
        long n = write(2, chunk, body < (long)sizeof chunk ? body : (long)sizeof chunk);
        if (n <= 0) break;
        body -= n;
        written += n;
    }
    written += write(2, "\nEND", 4) > 0 ? 4 : 0;
    printf("written %ld\n", written);
    return 0;
}
