/* Prints "self=PID" and then every process id visible in /proc, one per line. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("self=%d\n", getpid());
    DIR *d = opendir("/proc");
    if (!d) { perror("/proc"); return 1; }
    struct dirent *e;
    while ((e = readdir(d)))
        if (isdigit((unsigned char)e->d_name[0]))
            printf("%s\n", e->d_name);
    return 0;
}
