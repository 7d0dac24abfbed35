#include <iostream>

// Forgets the absolute value.
int main() {
    long long a, b;
    while (std::cin >> a >> b) std::cout << a - b << "\n";
}
