#include <stdio.h>
int main(void) { printf("hello from c\n"); return 0; }
