my ($a, $b) = split ' ', <STDIN>;
print $a + $b + 1, "\n";
