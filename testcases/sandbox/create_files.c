/* create_files PATH...: tries to create each file and prints "PATH ok" or "PATH ERRNO_NAME". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_CREAT | O_WRONLY | O_EXCL, 0644);
        if (fd >= 0) { printf("%s ok\n", argv[i]); close(fd); }
        else printf("%s %s\n", argv[i], strerrorname_np(errno));
    }
    return 0;
}
