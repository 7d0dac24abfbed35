// A minimal stand-in for testlib.h, written for this test package: only the interactor interface
// interactor.cpp uses, with testlib's conventions. An interactor runs as
// `interactor input output [answer]`, reads the participant's output on stdin, writes to the
// participant on stdout, and exits 0 (ok), 1 (wrong answer), 2 (presentation error) or
// 3 (judge failure), with its message on stderr.
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
};

inline InStream inf, ouf;
// The interactor's own output file (the judge keeps it).
inline std::FILE *tout = nullptr;

inline void registerInteraction(int argc, char **argv) {
    if (argc < 3) quitf(_fail, "usage: interactor input output [answer]");
    inf.file = std::fopen(argv[1], "r");
    tout = std::fopen(argv[2], "w");
    if (!inf.file || !tout) quitf(_fail, "cannot open the files");
    ouf.file = stdin;
    ouf.on_error = _wa;
}
