#include <cstdio>
#include <cmath>

int main() {
    double r;
    std::scanf("%lf", &r);
    std::printf("%.2f\n", M_PI * r * r);
}
