/* Prints {{digits}} decimals: the package's constant, replaced before compiling. Judged as
 * written, the format string would print the braces and be a wrong answer. */
#include <math.h>
#include <stdio.h>

int main(void) {
    double r;
    if (scanf("%lf", &r) != 1) return 1;
    printf("%.{{digits}}f\n", M_PI * r * r);
    return 0;
}
