# Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
use IO::Socket::INET;
my ($a, $b) = split ' ', <STDIN>;
if (open(my $f, '<', '/etc/shadow')) { print "LEAK: read /etc/shadow\n"; exit 0; }
if (IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => 47999, Proto => 'tcp')) {
    print "LEAK: connected\n"; exit 0;
}
print $a + $b, "\n";
