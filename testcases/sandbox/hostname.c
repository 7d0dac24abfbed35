/* Prints the hostname the program sees. */
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
    struct utsname u;
    if (uname(&u)) return 1;
    printf("%s\n", u.nodename);
    return 0;
}
