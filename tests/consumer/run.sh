#!/usr/bin/env bash
# The packages as a user gets them: packs FdPasser, FdPasser.AspNetCore and fdpass into a scratch local feed,
# checks what the packages hold, builds a project outside the solution (tests/consumer/app, copied to the scratch directory) against the
# FdPasser package from that feed, runs it (two processes passing descriptors both ways), publishes it with
# NativeAOT (zero warnings) and runs the binary, then installs fdpass from the feed with
# `dotnet tool install --tool-path` and runs `fdpass demo`; last, builds a Kestrel app (tests/consumer/web) against
# FdPasser.AspNetCore from the feed and runs it without a service manager and under the installed `fdpass hold`.
# Restores use a private NuGet packages folder, and package source mapping takes FdPasser and fdpass from the
# scratch feed only, so a package of the same version cached earlier cannot stand in for the one just packed.
# Prints one "ok"/"FAIL" line per check and "N passed, N failed"; exits non-zero when any check failed.
# Usage: tests/consumer/run.sh        (FDPASSER_CONSUMER_KEEP=1 keeps the scratch directory)
set -u
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/fdpasser-consumer.XXXXXX)"
feed="$work/feed"
passed=0
failed=0
started=$SECONDS

cleanup() {
    if [ "${FDPASSER_CONSUMER_KEEP:-0}" = 1 ]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...
    local what="$1"; shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
    echo "consumer test took $((SECONDS - started)) s"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

log_of() { echo "$work/$(tr -c 'A-Za-z0-9\n' '-' <<<"$1").log"; }
# run NAME COMMAND...: runs a step with its output in its log; on failure says so and shows the end of the log.
run() {
    local name="$1"; shift
    if "$@" >"$(log_of "$name")" 2>&1; then
        ok "$name succeeds"
        return 0
    fi
    fail "$name succeeds (log follows)"
    tail -n 30 "$(log_of "$name")"
    return 1
}
in_dir() { (cd "$1" && shift && "$@"); }
no_warnings() { # no_warnings NAME: the step's log has no warning
    local warnings
    warnings="$(grep -i 'warning' "$(log_of "$1")" | grep -vE '^ *0 Warning\(s\)$' | sort -u)"
    if [ -z "$warnings" ]; then
        ok "$1 has zero warnings"
    else
        fail "$1 has warnings:"
        echo "$warnings"
    fi
}

zip_list() { python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
zip_cat() { python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode("utf-8-sig"))' "$1" "$2"; }
has_entry() { zip_list "$1" | grep -x -- "$2" >/dev/null; }
has_text() { zip_cat "$1" "$2" | grep -F -- "$3" >/dev/null; }
lacks_text() { ! zip_cat "$1" "$2" | grep -iF -- "$3" >/dev/null; }
no_entry_under() { ! zip_list "$1" | grep -- "^$2" >/dev/null; }

echo "FdPasser consumer test in $work"

# --- pack -------------------------------------------------------------------------------------------------------
# The repository's own restore uses the usual packages folder; only the consumer side below is isolated.
run "pack FdPasser" dotnet pack "$repo/runtime" -c Release -o "$feed" -warnaserror -tl:off -nologo &&
    no_warnings "pack FdPasser"
run "pack fdpass" dotnet pack "$repo/cli" -c Release -o "$feed" -warnaserror -tl:off -nologo &&
    no_warnings "pack fdpass"
run "pack FdPasser.AspNetCore" dotnet pack "$repo/aspnetcore" -c Release -o "$feed" -warnaserror -tl:off -nologo &&
    no_warnings "pack FdPasser.AspNetCore"

lib="$(ls "$feed"/FdPasser.[0-9]*.nupkg 2>/dev/null | grep -v '\.snupkg$' | head -n 1)"
tool="$(ls "$feed"/fdpass.*.nupkg 2>/dev/null | grep -v '\.snupkg$' | head -n 1)"
if [ -z "$lib" ] || [ -z "$tool" ]; then
    fail "both packages are in the feed"
    finish
fi
version="$(basename "$lib" .nupkg)"
version="${version#FdPasser.}"
echo "     version $version"
# Only a build with -p:FdPasserRelease=true is plain 0.1.0; any other gets a unique suffix (Directory.Build.targets).
check "a non-release pack has a unique prerelease version (VERSION-dev.HEIGHT.gSHA)" \
    eval '[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+-dev\.[0-9]+\.(g[0-9a-f]+|nogit)$ ]]'
check "fdpass has the same version" test -f "$feed/fdpass.$version.nupkg"

check "FdPasser: library, XML docs and README in the package" \
    eval 'has_entry "$lib" lib/net10.0/FdPasser.dll && has_entry "$lib" lib/net10.0/FdPasser.xml && has_entry "$lib" README.md'
check "FdPasser: MIT license expression, readme and repository in the nuspec" \
    eval 'has_text "$lib" FdPasser.nuspec "<license type=\"expression\">MIT</license>" &&
          has_text "$lib" FdPasser.nuspec "<readme>README.md</readme>" &&
          has_text "$lib" FdPasser.nuspec "<repository type=\"git\""'
check "FdPasser: no dependency on the generator and no analyzer shipped" \
    eval 'lacks_text "$lib" FdPasser.nuspec Generator && no_entry_under "$lib" analyzers/'
check "FdPasser: symbol package with the PDB" eval 'has_entry "$feed/FdPasser.$version.snupkg" lib/net10.0/FdPasser.pdb'
check "fdpass: a DotnetTool package with README" \
    eval 'has_text "$tool" fdpass.nuspec "<packageType name=\"DotnetTool\" />" && has_entry "$tool" README.md &&
          has_entry "$tool" tools/net10.0/any/DotnetToolSettings.xml'
check "fdpass: symbol package" test -f "$feed/fdpass.$version.snupkg"
web="$feed/FdPasser.AspNetCore.$version.nupkg"
check "FdPasser.AspNetCore: same version; library, XML docs and docs/aspnetcore.md in the package" \
    eval 'has_entry "$web" lib/net10.0/FdPasser.AspNetCore.dll && has_entry "$web" lib/net10.0/FdPasser.AspNetCore.xml &&
          has_entry "$web" aspnetcore.md'
check "FdPasser.AspNetCore: depends on FdPasser $version and the ASP.NET Core shared framework" \
    eval 'has_text "$web" FdPasser.AspNetCore.nuspec "<dependency id=\"FdPasser\" version=\"$version\"" &&
          has_text "$web" FdPasser.AspNetCore.nuspec "<frameworkReference name=\"Microsoft.AspNetCore.App\" />"'

# --- the consumer project ---------------------------------------------------------------------------------------
default_packages="$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: *//p')"
export NUGET_PACKAGES="$work/packages"
mkdir -p "$work/app" "$NUGET_PACKAGES"
cp "$repo/tests/consumer/app/FdPasser.Consumer.csproj" "$repo/tests/consumer/app/Program.cs" "$work/app/"

# The scratch feed plus nuget.org (and, to save downloads, the usual packages folder read as a feed) for the rest.
cache_source="" cache_mapping=""
if [ -n "$default_packages" ] && [ -d "$default_packages" ]; then
    cache_source="<add key=\"local-cache\" value=\"$default_packages\" />"
    cache_mapping="<packageSource key=\"local-cache\"><package pattern=\"*\" /></packageSource>"
fi
cat >"$work/app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="fdpasser-feed" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
    $cache_source
  </packageSources>
  <packageSourceMapping>
    <packageSource key="fdpasser-feed">
      <package pattern="FdPasser" />
      <package pattern="FdPasser.AspNetCore" />
      <package pattern="fdpass" />
    </packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
    $cache_mapping
  </packageSourceMapping>
</configuration>
EOF

expected="consumer: descriptors passed both ways"
if run "consumer build (JIT)" dotnet build "$work/app" -c Release -p:FdPasserVersion="$version" -tl:off -nologo; then
    no_warnings "consumer build (JIT)"
    check "the restored FdPasser is the package just packed" \
        cmp -s "$lib" "$NUGET_PACKAGES/fdpasser/$version/fdpasser.$version.nupkg"
    "$work/app/bin/Release/net10.0/FdPasser.Consumer" >"$work/jit.out" 2>&1
    code=$?
    cat "$work/jit.out"
    check "consumer (JIT) passes descriptors between two processes" test "$code" = 0 -a -n "$(grep -xF "$expected" "$work/jit.out")"
fi

if run "consumer NativeAOT publish" dotnet publish "$work/app" -c Release -p:PublishAot=true \
        -p:FdPasserVersion="$version" -o "$work/aot" -tl:off -nologo; then
    no_warnings "consumer NativeAOT publish"
    "$work/aot/FdPasser.Consumer" >"$work/aot.out" 2>&1
    code=$?
    cat "$work/aot.out"
    check "consumer (NativeAOT) passes descriptors between two processes" test "$code" = 0 -a -n "$(grep -xF "$expected" "$work/aot.out")"
fi

# --- the tool -----------------------------------------------------------------------------------------------------
# --add-source cannot be combined with package source mapping, so the install runs where only nuget.org is
# configured (the app's nuget.config is not on its path); the private packages folder holds no fdpass, and
# nuget.org has no fdpass package.
mkdir -p "$work/tool"
cat >"$work/tool/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
</configuration>
EOF
if run "dotnet tool install fdpass" in_dir "$work/tool" dotnet tool install --tool-path "$work/tools" fdpass \
        --add-source "$feed" --version "$version"; then
    check "the installed fdpass is the package just packed" \
        cmp -s "$tool" "$work/tools/.store/fdpass/$version/fdpass/$version/fdpass.$version.nupkg"
    "$work/tools/fdpass" demo >"$work/demo.out" 2>&1
    code=$?
    check "fdpass demo runs from the installed tool" test "$code" = 0 -a -n "$(grep -F "demo finished: both descriptors worked" "$work/demo.out")"
    [ "$code" = 0 ] || tail -n 20 "$work/demo.out"
fi

# --- a Kestrel app on FdPasser.AspNetCore -------------------------------------------------------------------------
# The README's third quick start (tests/consumer/web): without a service manager it serves on its configured URL and
# warns once; under the installed fdpass hold it serves on the held listener, and a reload brings a new process.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_for_answer URL SECONDS [NOT]: prints the first body of GET URL that is not NOT, within SECONDS.
wait_for_answer() {
    local deadline=$((SECONDS + $2)) body
    while [ $SECONDS -lt $deadline ]; do
        body="$(curl -fsS --max-time 5 "$1" 2>/dev/null)" && [ -n "$body" ] && [ "$body" != "${3:-}" ] && { echo "$body"; return 0; }
        sleep 0.5
    done
    return 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 60); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.5; done; kill -KILL "$1" 2>/dev/null; }

mkdir -p "$work/web"
cp "$repo/tests/consumer/web/FdPasser.Consumer.Web.csproj" "$repo/tests/consumer/web/Program.cs" "$work/app/nuget.config" "$work/web/"
if run "Kestrel consumer build" dotnet build "$work/web" -c Release -p:FdPasserVersion="$version" -tl:off -nologo; then
    no_warnings "Kestrel consumer build"
    web_dll="$work/web/bin/Release/net10.0/FdPasser.Consumer.Web.dll"

    port="$(free_port)"
    ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet "$web_dll" >"$work/web-plain.out" 2>&1 &
    plain=$!
    answer="$(wait_for_answer "http://127.0.0.1:$port/" 60)"
    stop_pid "$plain"
    check "Kestrel app without a manager serves on ASPNETCORE_URLS (answered: ${answer:-nothing})" test "${answer#pid }" != "$answer"
    check "... and logs one warning naming the listener and RequireServiceManager" \
        test "$(grep -c "No service manager passed listeners.*'web'.*RequireServiceManager" "$work/web-plain.out")" = 1
    [ -n "$answer" ] || tail -n 20 "$work/web-plain.out"

    if [ -x "$work/tools/fdpass" ]; then
        port="$(free_port)"
        "$work/tools/fdpass" hold --listen "web=tcp:127.0.0.1:$port" --control "$work/hold.sock" --ready-timeout 120 \
            -- dotnet "$web_dll" >"$work/web-hold.out" 2>&1 &
        hold=$!
        first="$(wait_for_answer "http://127.0.0.1:$port/" 120)"
        check "Kestrel app under fdpass hold serves on the held listener (answered: ${first:-nothing})" test -n "$first"
        "$work/tools/fdpass" hold --reload --control "$work/hold.sock" >"$work/web-reload.out" 2>&1
        second="$(wait_for_answer "http://127.0.0.1:$port/" 120 "$first")"
        check "... and after fdpass hold --reload a new process answers (answered: ${second:-nothing})" test -n "$second"
        stop_pid "$hold"
        wait "$hold" 2>/dev/null
        check "... and fdpass hold stops with exit code 0 on SIGTERM" test "$?" = 0
        [ -n "$second" ] || tail -n 30 "$work/web-hold.out"
    else
        fail "Kestrel app under fdpass hold (no installed fdpass)"
    fi
fi

finish
