#include <iostream>
#include <vector>

int main() {
    std::vector<char> v(1UL << 30, 1);
    std::cout << int(v[v.size() / 2]) << "\n";
}
