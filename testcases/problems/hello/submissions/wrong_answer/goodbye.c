#include <stdio.h>

int main(void) {
    puts("Goodbye World!");
    return 0;
}
