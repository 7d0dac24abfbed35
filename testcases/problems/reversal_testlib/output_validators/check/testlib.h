// A minimal stand-in for testlib.h, written for this test package: only the checker interface
// check.cpp uses, with testlib's conventions. A checker runs as `check input output answer`
// and exits 0 (ok), 1 (wrong answer), 2 (presentation error), 3 (judge failure) or 7 (points),
// with its message on stderr; for points, testlib's quitp writes "points VALUE message".
#pragma once
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>

enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3, _points = 7 };

[[noreturn]] inline void vquit(int code, const char *prefix, const char *format,
                               std::va_list args) {
    std::fputs(prefix, stderr);
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
    std::exit(code);
}

[[noreturn]] inline void quitf(TResult result, const char *format, ...) {
    std::va_list args;
    va_start(args, format);
    vquit(result, "", format, args);
}

[[noreturn]] inline void quitp(double points, const char *format, ...) {
    char prefix[64];
    std::snprintf(prefix, sizeof prefix, "points %.10g ", points);
    std::va_list args;
    va_start(args, format);
    vquit(_points, prefix, format, args);
}

struct InStream {
    std::FILE *file = nullptr;
    TResult on_error = _fail;

    // Whether only whitespace is left; the next token stays unread.
    bool seekEof() {
        int c;
        while ((c = std::fgetc(file)) != EOF && std::isspace(c)) {
        }
        if (c == EOF) return true;
        std::ungetc(c, file);
        return false;
    }

    std::string readToken() {
        if (seekEof()) quitf(on_error, "unexpected end of file, expected a token");
        std::string token;
        int c;
        while ((c = std::fgetc(file)) != EOF && !std::isspace(c)) token.push_back(char(c));
        return token;
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
