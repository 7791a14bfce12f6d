namespace FdPasser.Cli.CommandLine;

/// <summary>The text of every <c>--help</c>.</summary>
internal static class HelpText
{
    public const string Main = """
        fdpass: pass open file descriptors between processes.

        Usage:
          fdpass serve ENDPOINT [--root DIR] [--allow-uid USER]... [--allow-write]
          fdpass get ENDPOINT PATH [--flags FLAGS]
          fdpass hold --listen NAME=tcp:HOST:PORT|NAME=unix:PATH... [options] [--] COMMAND [ARGS...]
          fdpass hold --reload [--wait [--timeout SECONDS]] [--control PATH]
          fdpass hold --status [--control PATH]
          fdpass demo

        Commands:
          serve   Run an open server: clients ask for files, the server opens them and passes the descriptors.
          get     Ask an open server for a file and copy it to standard output.
          hold    Hold a service's listeners and restart it (SIGHUP, --reload) without dropping a connection:
                  systemd's socket activation and notify protocol, rollback, crash restart, stored descriptors.
          demo    Show descriptor passing between this process and a second one it starts, step by step.

        ENDPOINT is the path of a Unix socket file (or @name for a Linux abstract socket).
        Run 'fdpass COMMAND --help' for a command's options.
        """;

    public const string Serve = """
        Usage: fdpass serve ENDPOINT [--root DIR] [--allow-uid USER]... [--allow-write] [--request-timeout SECONDS]
                            [--max-connections N]

        Listens on ENDPOINT for the classic open request 'open <path> <flags>\0' (flags: the numeric O_* flags
        of this system, in decimal) and answers each with the opened descriptor, or an error status with the
        errno and a message. Logs one line per request. SIGINT or SIGTERM stops it and removes the socket file.

        Options:
          --root DIR        Serve paths under DIR (default: the current directory). '..' components, absolute
                            paths outside DIR and every symbolic link below DIR are refused; only regular
                            files and directories are served.
          --allow-uid USER  Accept connections only from this user id or user name (repeatable; names are
                            resolved once, at start). Without it only this process's own user is served and
                            the socket file is mode 0600; with it the file is mode 0666 and the peer's
                            kernel-reported uid decides; other uids are refused as soon as they connect.
          --allow-write     Allow O_WRONLY, O_RDWR, O_CREAT and O_TRUNC (refused by default).
          --request-timeout SECONDS
                            Close a connection whose client sends no complete request, or takes no
                            answer, within this time (default 10). A request is at most 4096 bytes, NUL
                            included.
          --max-connections N
                            Serve at most N connections at once; further clients wait (default 1024, or
                            fewer where the descriptor limit, 'ulimit -n', leaves room for fewer).
          -h, --help        Show this help.
        """;

    public const string Get = """
        Usage: fdpass get ENDPOINT PATH [--flags FLAGS]

        Sends 'open PATH FLAGS\0' to the open server at ENDPOINT, receives the descriptor and copies the file
        to standard output; where it was opened write-only, copies standard input into it instead. Where the
        server refuses, prints its message on standard error and exits with code 3.

        Options:
          --flags FLAGS     The open flags: a number (decimal, or hex with 0x) or names joined by '|' or ',',
                            e.g. O_RDONLY, O_WRONLY|O_CREAT|O_TRUNC (names use this system's values).
                            Default: O_RDONLY (0).
          -h, --help        Show this help.
        """;

    public const string Demo = """
        Usage: fdpass demo

        Starts an open server on a temporary endpoint, starts a second fdpass process as its client, passes it
        an open file and a connected socket, and narrates each step: the peer's credentials, the descriptor
        numbers on each side, and the bytes read through the passed descriptors. Removes everything it made.

        Options:
          -h, --help        Show this help.
        """;
}
