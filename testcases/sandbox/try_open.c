/* try_open MODE PATH...: opens each path for reading (r) or writing (w) and prints
 * "PATH ok" or "PATH ERRNO_NAME". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int flags = argv[1][0] == 'w' ? O_WRONLY : O_RDONLY;
    for (int i = 2; i < argc; i++) {
        char path[4096];
        /* %d is replaced by the parent's pid, for /proc/%d/exe */
        snprintf(path, sizeof path, argv[i], getppid());
        int fd = open(path, flags);
        if (fd >= 0) {
            char buf[16];
            if (flags == O_RDONLY && read(fd, buf, sizeof buf) < 0)
                printf("%s %s\n", path, strerrorname_np(errno));
            else
                printf("%s ok\n", path);
            close(fd);
        } else {
            printf("%s %s\n", path, strerrorname_np(errno));
        }
    }
    return 0;
}
