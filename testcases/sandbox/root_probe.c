/* root_probe: what a run whose root is an image sees. One line each:
 *   greeting <text of /etc/greeting>
 *   host-usr absent | host-usr present      (/usr/bin/gcc, which the image lacks)
 *   scratch empty | scratch has note        (/scratch/note, written by an earlier run?)
 *   scratch write ok | scratch write ERRNO  (/scratch is 1777 in the image)
 *   locked write ERRNO | locked write ok    (/locked is root's 0755 in the image)
 *   etc write ERRNO | etc write ok          (/etc/greeting is root's 0644)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_write(const char *label, const char *path) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { printf("%s write %s\n", label, strerrorname_np(errno)); return; }
    int ok = write(fd, "x\n", 2) == 2;
    close(fd);
    printf("%s write %s\n", label, ok ? "ok" : strerrorname_np(errno));
}

int main(void) {
    char text[128] = {0};
    FILE *f = fopen("/etc/greeting", "r");
    if (f && fgets(text, sizeof text, f)) text[strcspn(text, "\n")] = 0;
    printf("greeting %s\n", f ? text : strerrorname_np(errno));
    printf("host-usr %s\n", access("/usr/bin/gcc", F_OK) == 0 ? "present" : "absent");
    printf("scratch %s\n", access("/scratch/note", F_OK) == 0 ? "has note" : "empty");
    try_write("scratch", "/scratch/note");
    try_write("locked", "/locked/x");
    try_write("etc", "/etc/greeting");
    return 0;
}
