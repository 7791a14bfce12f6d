/* Exchanges two names with renameat2(RENAME_EXCHANGE) as fast as it can for a number of seconds: what an
 * attacker who may rename entries inside a served root does to race the server's checks against its opens.
 * Usage: swapper NAME_A NAME_B SECONDS. Prints the number of exchanges made. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: swapper NAME_A NAME_B SECONDS\n");
        return 2;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double seconds = atof(argv[3]);
    long swaps = 0;
    for (;;) {
        if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
            perror("renameat2(RENAME_EXCHANGE)");
            return 1;
        }
        /* An even count leaves the names where they started. */
        if (++swaps % 2 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
                break;
        }
    }
    printf("%ld\n", swaps);
    return 0;
}
