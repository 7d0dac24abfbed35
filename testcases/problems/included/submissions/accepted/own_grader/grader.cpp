// A submission's own grader, which the package's replaces: it would print a wrong answer.
#include <cstdio>
int main() { std::puts("0"); return 0; }
