// The function a submission writes: n squared, for 0 <= n <= {{LIMIT}}.
long long square(long long n);
