// Accepted with threads: the lines are read at once, then four std::threads each compute a
// quarter of the answers. Run profiles allow threads (processes and threads share one cap).
#include <iostream>
#include <thread>
#include <vector>

int main() {
    std::ios::sync_with_stdio(false);
    std::vector<long long> a, b;
    long long x, y;
    while (std::cin >> x >> y) {
        a.push_back(x);
        b.push_back(y);
    }
    std::vector<long long> diff(a.size());
    const size_t workers = 4;
    std::vector<std::thread> threads;
    for (size_t w = 0; w < workers; w++) {
        threads.emplace_back([&, w] {
            for (size_t i = w; i < a.size(); i += workers) diff[i] = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        });
    }
    for (auto &t : threads) t.join();
    for (long long d : diff) std::cout << d << "\n";
}
