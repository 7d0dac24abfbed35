#include <bits/stdc++.h>

int main() {
    std::string s = 42 + ;
}
