// Kattis interactor for "Guess the Number": interactor input answer feedback_dir.
// The submission's output is our stdin, our stdout its input. Exit 42 accepts, 43 rejects,
// with the reason in feedback_dir/judgemessage.txt.
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
    long long secret;
    if (!(input >> secret)) return 1;
    const int allowed = 10;
    for (int guesses = 1;; ++guesses) {
        long long guess;
        if (!(std::cin >> guess))
            return verdict(43, "expected guess " + std::to_string(guesses) + ", got none");
        if (guess == secret) {
            std::cout << "correct" << std::endl;
            break;
        }
        if (guesses == allowed)
            return verdict(43, std::to_string(allowed) + " guesses, none of them " +
                                   std::to_string(secret));
        std::cout << (guess < secret ? "higher" : "lower") << std::endl;
    }
    std::string extra;
    if (std::cin >> extra) return verdict(43, "output after the correct guess: " + extra);
    return verdict(42, "guessed " + std::to_string(secret));
}
