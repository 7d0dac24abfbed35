#include <bits/stdc++.h>

// Grows a vector of vectors, 16 MiB each, every byte written.
int main() {
    std::vector<std::vector<char>> blocks;
    while (true) blocks.emplace_back(16 << 20, 'x');
}
