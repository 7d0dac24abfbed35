/* fill_disk: tries to take more host disk through its stdout than the output limit allows:
 * fallocate that keeps the size (the size limit never fires), a punched hole, a zeroed range,
 * fallocate that grows the file, ftruncate and pwrite far past the limit, then plain writes
 * until they fail. Prints each outcome on stderr, one per line; SIGXFSZ is ignored so that
 * every attempt is made. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int rc) {
    fprintf(stderr, "%s %s\n", what, rc == 0 ? "ok" : strerrorname_np(errno));
}

int main(void) {
    signal(SIGXFSZ, SIG_IGN);
    const off_t gib = 1L << 30;
    report("keep_size", fallocate(1, FALLOC_FL_KEEP_SIZE, 0, gib));
    report("punch_hole", fallocate(1, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, gib));
    report("zero_range", fallocate(1, FALLOC_FL_ZERO_RANGE, 0, gib));
    report("grow", fallocate(1, 0, 0, gib));
    report("ftruncate", ftruncate(1, 1L << 40));
    report("pwrite", pwrite(1, "x", 1, 1L << 40) == 1 ? 0 : -1);
    static char chunk[1 << 16];
    memset(chunk, 'y', sizeof chunk);
    long written = 0;
    for (int i = 0; i < 1 << 14; i++) {
        ssize_t n = write(1, chunk, sizeof chunk);
        if (n <= 0) break;
        written += n;
    }
    fprintf(stderr, "written %ld\n", written);
    return 0;
}
