long long distance(long long a, long long b);
