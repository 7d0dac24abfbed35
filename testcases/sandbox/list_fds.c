/* Prints every open descriptor number except the one reading /proc/self/fd. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) { perror("/proc/self/fd"); return 1; }
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != own)
            printf("%s\n", e->d_name);
    return 0;
}
