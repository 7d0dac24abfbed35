/* privileged CALL: makes one privileged system call and prints "CALL ok" or "CALL ERRNO_NAME".
 * Under the base allowlist every one of them is fatal (SIGSYS) before it prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *c = argv[1];
    long r = -1;
    if (!strcmp(c, "mount")) r = mount("none", "/tmp", "tmpfs", 0, NULL);
    else if (!strcmp(c, "umount")) r = umount2("/proc", MNT_DETACH);
    else if (!strcmp(c, "unshare")) r = unshare(CLONE_NEWUSER);
    else if (!strcmp(c, "unshare_mount")) r = unshare(CLONE_NEWNS);
    else if (!strcmp(c, "setns")) { int fd = open("/proc/self/ns/mnt", O_RDONLY); r = setns(fd, 0); }
    else if (!strcmp(c, "ptrace")) r = ptrace(PTRACE_ATTACH, 1, 0, 0);
    else if (!strcmp(c, "sethostname")) r = sethostname("pwned", 5);
    else if (!strcmp(c, "chroot")) r = chroot("/tmp");
    else if (!strcmp(c, "bpf")) { union bpf_attr a; memset(&a, 0, sizeof a); r = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a); }
    else if (!strcmp(c, "setuid")) r = setuid(0);
    else return 2;
    if (r == 0) printf("%s ok\n", c);
    else printf("%s %s\n", c, strerrorname_np(errno));
    return 0;
}
