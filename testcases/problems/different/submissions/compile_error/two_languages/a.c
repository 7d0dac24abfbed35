/* As many C files as Python files: the language cannot be told (a compile error). */
int main(void) { return 0; }
