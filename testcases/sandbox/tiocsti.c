/* Tries to push a character into the terminal on stdin with TIOCSTI. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

int main(void) {
    char c = 'x';
    int r = ioctl(0, TIOCSTI, &c);
    printf("tiocsti %s\n", r == 0 ? "ok" : strerrorname_np(errno));
    return 0;
}
