#include <iostream>
#include <string>

int main() {
    std::string chunk(1 << 20, '7');
    for (int i = 0; i < 64; i++) std::cout << chunk << "\n";
}
