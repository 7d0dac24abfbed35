#include "distance.h"

long long distance(long long a, long long b) { return a > b ? a - b : b - a; }
