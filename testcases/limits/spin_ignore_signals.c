/* Ignores every signal it can (SIGXCPU and SIGTERM included) and spins forever. */
#include <signal.h>

int main(void) {
    for (int s = 1; s < 65; s++) signal(s, SIG_IGN);
    volatile unsigned long x = 0;
    for (;;) x++;
}
