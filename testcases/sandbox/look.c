/* look WHAT: reports whether what plant.c left is still there ("clean" or what it found). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *what = argv[1];
    if (!strcmp(what, "files")) {
        int a = access("/tmp/planted", F_OK) == 0, b = access("/dev/shm/planted", F_OK) == 0;
        printf("%s\n", a || b ? "found files" : "clean");
    } else if (!strcmp(what, "process")) {
        int others = 0;
        DIR *d = opendir("/proc");
        struct dirent *e;
        while ((e = readdir(d)))
            if (isdigit((unsigned char)e->d_name[0]) && atoi(e->d_name) != getpid()) others++;
        printf("%s\n", others ? "found processes" : "clean");
    } else if (!strcmp(what, "ipc")) {
        /* Each file has one header line. */
        int n = lines("/proc/sysvipc/shm") + lines("/proc/sysvipc/sem") + lines("/proc/sysvipc/msg");
        printf("%s\n", n == 3 ? "clean" : "found ipc objects");
    } else if (!strcmp(what, "socket")) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        memcpy(a.sun_path + 1, "judge-planted", 13);
        int c = connect(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 14);
        printf("%s\n", c == 0 ? "found socket" : "clean");
    } else if (!strcmp(what, "env")) {
        extern char **environ;
        int n = 0;
        for (char **e = environ; *e; e++) n += strncmp(*e, "PLANTED=", 8) == 0;
        printf("%s\n", n ? "found environment" : "clean");
    }
    return 0;
}
