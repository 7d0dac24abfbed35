#include <iostream>
#include <vector>
#include <thread>
int main() {
    std::vector<int> v{1, 2, 3};
    std::thread t([&] { v.push_back(4); });
    t.join();
    std::cout << "hello from c++ " << v.size() << std::endl;
}
