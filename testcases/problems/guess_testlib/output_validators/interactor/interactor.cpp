// testlib-style interactor for "Guess the Number": interactor input output [answer].
#include "testlib.h"

int main(int argc, char **argv) {
    registerInteraction(argc, argv);
    long long secret = inf.readLong();
    for (int guesses = 1;; ++guesses) {
        long long guess = ouf.readLong();
        if (guess == secret) {
            std::printf("correct\n");
            std::fflush(stdout);
            std::fprintf(tout, "%d\n", guesses);
            quitf(_ok, "guessed %lld in %d", secret, guesses);
        }
        if (guesses == 10) quitf(_wa, "10 guesses, none of them %lld", secret);
        std::printf(guess < secret ? "higher\n" : "lower\n");
        std::fflush(stdout);
    }
}
