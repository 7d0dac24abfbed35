/* Its directory links a host file (secret.txt -> /etc/shadow): refused before anything is
   copied, a compile error; the engine never reads the host file for the program. */
#include <stdio.h>
int main(void) {
    char line[256];
    FILE *f = fopen("/work/secret.txt", "r");
    while (f && fgets(line, sizeof line, f)) fputs(line, stdout);
    return 0;
}
