namespace FdPasser.Cli.Hold;

/// <summary>The text of <c>fdpass hold --help</c>.</summary>
internal static class HoldHelp
{
    public const string Text = """
        Usage: fdpass hold --listen NAME=tcp:HOST:PORT|NAME=unix:PATH|NAME=inherited... [--user USER]
                           [--env NAME=VALUE] [--env-file FILE] [--ready-timeout SECONDS] [--stop-timeout SECONDS]
                           [--settle-time SECONDS]
                           [--fd-store-max N] [--control PATH] [--ready notify|listening] [--stop-signal SIG]
                           [--start-limit-burst N [--start-limit-interval SECONDS]]
                           [--start-priority idle|inherit [--start-priority-limit SECONDS]] [--] COMMAND [ARGS...]
               fdpass hold --reload [--wait [--timeout SECONDS]] [--control PATH]
               fdpass hold --status [--control PATH]
               fdpass hold --upgrade [--control PATH] [PROGRAM]

        Holds the listening sockets of a service and restarts it without refusing or dropping a connection. Binds
        each --listen itself and starts COMMAND with them as systemd's socket activation does: descriptors 3, 4, ...
        with LISTEN_FDS, LISTEN_FDNAMES (the NAMEs) and LISTEN_PID; FDPASS_GENERATION, the number of this start
        as the log and --status count them (every start, a rolled-back one too); and NOTIFY_SOCKET pointing at
        fdpass hold, which speaks systemd's notify protocol as the service manager:
          READY=1           the generation serves; the one before it drains once it has settled
          STATUS=TEXT       shown by --status and logged
          STOPPING=1        logged; the generation is expected to exit
          MAINPID=PID       PID (the first process or one below it) gets SIGTERM instead of the first process;
                            the generation ends when both have ended
          FDSTORE=1         descriptors sent with it are kept (under FDNAME=, default 'stored') and passed to
                            every later generation after the listeners, under their names; the same file stored
                            twice is kept once; FDSTOREREMOVE=1 with FDNAME= closes them
          BARRIER=1         its descriptor is closed once every earlier notification has been handled
        A generation is the process fdpass hold started and every process below it (a launcher such as
        'dotnet run' or a shell that does not exec may start the service as its child); notifications from
        other processes are ignored.

        Reload (SIGHUP, or 'fdpass hold --reload'): starts the next generation with every listener and stored
        descriptor. Once it has been ready for --settle-time the previous one gets SIGTERM (then SIGKILL after
        --stop-timeout); several old generations may drain at once. A reload asked for while one is starting waits for it (one is queued).
        Rollback: a generation that exits before READY=1 or within --settle-time of it, or is not ready within
        --ready-timeout, is killed and the running generation keeps serving; the log says why.
        Crash: a generation that exits unasked is started again, after 0.1 s, doubling for each failure in a row up
        to 10 s; the listeners stay open meanwhile, so connections wait in the backlog.
        SIGTERM or SIGINT: every generation gets SIGTERM (SIGKILL after --stop-timeout; a second signal kills at
        once); then fdpass hold removes the socket files it created and exits 0.

        Options:
          --listen NAME=SPEC    A listener (repeatable, at least one). SPEC: tcp:HOST:PORT (HOST a dotted IPv4
                                address of four parts, an [IPv6] address, localhost, or * for every IPv4 address;
                                SO_REUSEADDR only, so a port another socket holds is EADDRINUSE) or unix:PATH (a
                                socket file, mode 0666 set without following a symlink, a stale one replaced;
                                unix:@NAME for a Linux abstract socket). NAME: 1 to 255 printable ASCII
                                characters without ':' or spaces. inherited: the listening socket named NAME in fdpass
                                hold's own LISTEN_FDS/LISTEN_FDNAMES (a .socket unit's FileDescriptorName=), which
                                keeps the port open across restarts of fdpass hold.
          --user USER           Run COMMAND as USER (a name from /etc/passwd, or a uid), with its group and
                                supplementary groups, through /usr/bin/setpriv (found once at start, root-owned;
                                never looked up in PATH). The listeners are bound first, so a port below 1024 works
                                with the privileges fdpass hold has. COMMAND gets systemd's environment for a
                                service, not root's: PATH, LANG, HOME, USER, LOGNAME and SHELL of USER,
                                NOTIFY_SOCKET and LISTEN_*.
          --env NAME=VALUE      Add a variable to COMMAND's environment (repeatable; replaces one of the same name).
          --env-file FILE       Add the NAME=VALUE lines of FILE (repeatable; read once at start; lines starting
                                with # or ; and empty lines skipped; the value taken as it stands). --env comes after
                                the files.
          --ready-timeout SECONDS
                                Roll back a generation not ready within this time (default 30; 0 waits for ever).
          --stop-timeout SECONDS
                                SIGKILL a generation that has not exited this long after SIGTERM (default 30).
          --settle-time SECONDS
                                Keep the previous generation serving until the new one has been ready this long,
                                and roll back to it when the new one exits sooner (default 2; 0 drains it at
                                READY=1).
          --fd-store-max N      Keep at most N stored descriptors (default 16; 0 turns FDSTORE=1 away).
          --control PATH        The control socket of --reload and --status (mode 0600; default
                                /run/fdpass-hold.sock for root, else $XDG_RUNTIME_DIR/fdpass-hold.sock, else
                                /tmp/fdpass-hold-UID/control.sock; the default's directory must be the user's own
                                and open to nobody else, or it is refused).
          --reload              Ask the fdpass hold at --control for a reload, print its answer (escaped) and exit.
                                A holder that runs as neither this user nor root is not trusted.
          --wait                With --reload: wait until the new generation is ready, print its number and pid
                                and exit 0; or print why it is not (exited before ready, not ready in time, could
                                not start, fdpass hold stopped) and exit 1.
          --timeout SECONDS     With --reload --wait: give up waiting after this (exit 1; the reload goes on).
          --ready notify|listening
                                When a generation is ready: when it says READY=1 (notify, the default), or when a
                                process of it has every listener in an epoll set (listening: for servers without
                                the notify protocol; Linux /proc).
          --stop-signal SIG     The signal that asks a generation to stop and drain: SIGTERM (default), SIGINT,
                                SIGQUIT or SIGHUP (systemd's KillSignal=). SIGKILL follows after --stop-timeout.
          --start-limit-burst N
                                Stop fdpass hold (exit 1) when N starts fail within --start-limit-interval with no
                                generation serving (systemd's StartLimitBurst=; default: no limit).
          --start-limit-interval SECONDS
                                The interval of --start-limit-burst (default 10; StartLimitIntervalSec=).
          --start-priority idle|inherit
                                idle: every generation starts under SCHED_IDLE (Linux), so its start-up takes
                                only CPU time the serving generation leaves, and every thread of its processes
                                gets fdpass hold's policy back at READY=1. inherit (default): as fdpass hold runs.
                                Leaving SCHED_IDLE needs CAP_SYS_NICE or RLIMIT_NICE of at least 20 minus the nice
                                value ('ulimit -e 20', systemd's LimitNICE=20): checked at start, and refused
                                without it (and under a real-time policy).
          --start-priority-limit SECONDS
                                With --start-priority idle: restore the policy of a generation not ready this long
                                after its start, so a busy machine cannot starve it (default 2).
          --status              Print the generations (number, pids, state, status) and stored descriptors of the
                                fdpass hold at --control, and exit.
          --upgrade [PROGRAM]   Ask the fdpass hold at --control to execute PROGRAM (default: the program it
                                runs) with the same command line in its own process (same pid), handing over
                                its listeners, stored descriptors and generations; print its status after.
          -h, --help            Show this help.

        With NOTIFY_SOCKET set, fdpass hold tells its own manager READY=1 (first generation ready), RELOADING=1
        and READY=1 around a reload, STOPPING=1, and STATUS= (--status in one line) whenever it changes.

        COMMAND starts at the first argument that is not an option, or after '--'. Log lines go to standard
        output; COMMAND inherits standard input, output and error.
        """;
}
