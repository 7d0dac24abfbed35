/* Kattis multi-pass output validator: validate input answer feedback_dir < output.
   The input is the pass's: "1 n" in pass 1, "2 word" in pass 2 (the nextpass.in this
   validator wrote). Pass 1 checks the word, keeps it in the feedback directory and asks for
   pass 2; pass 2 checks that the kept word is the one given, then the number. */
#include <stdio.h>
#include <string.h>

static void say(const char *dir, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%sjudgemessage.txt", dir);
    FILE *f = fopen(path, "a");
    if (f) { fputs(text, f); fclose(f); }
}

static int is_word(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 20) return 0;
    for (size_t i = 0; i < n; i++) if (s[i] < 'a' || s[i] > 'z') return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    const char *dir = argv[3];
    char path[4096], given[64], kept[64], out[64], extra[8];
    int pass;
    FILE *in = fopen(argv[1], "r"), *ans = fopen(argv[2], "r");
    long long n;
    if (!in || !ans || fscanf(in, "%d %63s", &pass, given) != 2 || fscanf(ans, "%lld", &n) != 1)
        return 1;
    if (pass == 1) {
        if (scanf("%63s", out) != 1 || !is_word(out)) { say(dir, "pass 1: not a word\n"); return 43; }
        if (scanf("%7s", extra) == 1) { say(dir, "pass 1: more than one word\n"); return 43; }
        snprintf(path, sizeof path, "%sword", dir);
        FILE *w = fopen(path, "w");
        snprintf(path, sizeof path, "%snextpass.in", dir);
        FILE *next = fopen(path, "w");
        if (!w || !next) return 1;
        fprintf(w, "%s\n", out);
        fprintf(next, "2\n%s\n", out);
        fclose(w);
        fclose(next);
        say(dir, "pass 1: a word\n");
        return 42;
    }
    /* Pass 2: the feedback directory of pass 1 must still be there. */
    snprintf(path, sizeof path, "%sword", dir);
    FILE *w = fopen(path, "r");
    if (!w || fscanf(w, "%63s", kept) != 1 || strcmp(kept, given) != 0) return 1;
    long long got;
    if (scanf("%lld", &got) != 1 || got != n) { say(dir, "pass 2: not the number\n"); return 43; }
    if (scanf("%7s", extra) == 1) { say(dir, "pass 2: more than the number\n"); return 43; }
    say(dir, "pass 2: the number\n");
    return 42;
}
