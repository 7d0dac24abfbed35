// A minimal stand-in for testlib.h, written for this test package: only the checker interface
// check.cpp uses, with testlib's conventions. A checker runs as `check input output answer`
// and exits 0 (ok), 1 (wrong answer), 2 (presentation error) or 3 (judge failure), with its
// message on stderr.
#pragma once
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3 };

[[noreturn]] inline void quitf(TResult result, const char *format, ...) {
    std::va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fputc('\n', stderr);
    std::exit(result);
}

struct InStream {
    std::FILE *file = nullptr;
    TResult on_error = _fail;

    long long readLong() {
        long long x;
        if (!file || std::fscanf(file, "%lld", &x) != 1) quitf(on_error, "expected an integer");
        return x;
    }

    bool seekEof() {
        int c;
        while ((c = std::fgetc(file)) != EOF)
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return false;
        return true;
    }
};

inline InStream inf, ouf, ans;

inline void registerTestlibCmd(int argc, char **argv) {
    if (argc < 4) quitf(_fail, "usage: check input output answer");
    inf.file = std::fopen(argv[1], "r");
    ouf.file = std::fopen(argv[2], "r");
    ans.file = std::fopen(argv[3], "r");
    if (!inf.file || !ouf.file || !ans.file) quitf(_fail, "cannot open the files");
    ouf.on_error = _pe;
}
