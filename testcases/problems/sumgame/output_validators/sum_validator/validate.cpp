// Kattis output validator for "Any Sum": validate input answer feedback_dir < output.
// Exit 42 accepts, 43 rejects; the reason goes to feedback_dir/judgemessage.txt.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

static std::string feedback;

static int verdict(int code, const std::string &message) {
    std::ofstream(feedback + "judgemessage.txt") << message << "\n";
    return code;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    feedback = argv[3];
    std::ifstream input(argv[1]);
    long long n;
    if (!(input >> n)) return 1;
    long long a, b;
    if (!(std::cin >> a >> b)) return verdict(43, "expected two integers");
    std::string extra;
    if (std::cin >> extra) return verdict(43, "trailing output: " + extra);
    if (a < 0 || b < 0) return verdict(43, "numbers must be non-negative");
    if (a + b != n) return verdict(43, std::to_string(a) + " + " + std::to_string(b) + " is not " + std::to_string(n));
    return verdict(42, "ok");
}
