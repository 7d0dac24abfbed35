/* look WHAT: reports whether what plant.c left is still there ("clean" or what it found).
 *   tmpmode prints /tmp's mode, owner, entries and whether its times are recent (not 1970)
 *   cycle   looks for the socket "judge-cycle" and for inodes in use on /tmp
 *   limits  prints this process's resource limits and how many CPUs it may use */
#define _GNU_SOURCE
#include <ctype.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
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
    } else if (!strcmp(what, "tmpmode")) {
        struct stat st;
        if (stat("/tmp", &st) != 0) return 1;
        int entries = 0;
        DIR *d = opendir("/tmp");
        struct dirent *e;
        while (d && (e = readdir(d)))
            entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        time_t now = time(NULL);
        int recent = st.st_atime > now - 60 && st.st_mtime > now - 60 && st.st_ctime > now - 60;
        printf("mode %o uid %d gid %d entries %d times %s\n", st.st_mode & 07777, st.st_uid,
               st.st_gid, entries, recent ? "recent" : "stale");
    } else if (!strcmp(what, "cycle")) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        memcpy(a.sun_path + 1, "judge-cycle", 11);
        int c = connect(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 12);
        struct statvfs v;
        statvfs("/tmp", &v);
        int inodes = (int)(v.f_files - v.f_ffree);
        if (c == 0) printf("found socket\n");
        else if (inodes > 1) printf("found %d inodes on /tmp\n", inodes);
        else printf("clean\n");
    } else if (!strcmp(what, "limits")) {
        int ids[] = { RLIMIT_NOFILE, RLIMIT_CPU, RLIMIT_AS, RLIMIT_STACK, RLIMIT_FSIZE,
                      RLIMIT_NPROC };
        for (unsigned i = 0; i < sizeof ids / sizeof *ids; i++) {
            struct rlimit r;
            getrlimit(ids[i], &r);
            printf("%d %lld %lld\n", ids[i], (long long)r.rlim_cur, (long long)r.rlim_max);
        }
        cpu_set_t set;
        sched_getaffinity(0, sizeof set, &set);
        printf("cpus %d pid %d\n", CPU_COUNT(&set), getpid());
    } else if (!strcmp(what, "env")) {
        extern char **environ;
        int n = 0;
        for (char **e = environ; *e; e++) n += strncmp(*e, "PLANTED=", 8) == 0;
        printf("%s\n", n ? "found environment" : "clean");
    }
    return 0;
}
