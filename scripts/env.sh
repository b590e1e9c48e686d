# Sourced by orderly's scripts (after scripts/bootstrap) to point the build and
# the dev/test tooling at the project-local tools instead of whatever the
# machine happens to have: PROTOC for the Temporal SDK's build scripts,
# ORDERLY_TEMPORAL_BIN for the dev server that `orderly dev` and the tests run.

orderly_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
orderly_tools_bin="$orderly_root/.tools/venv/bin"

export PROTOC="$orderly_tools_bin/protoc"
export ORDERLY_TEMPORAL_BIN="$orderly_tools_bin/temporal"

# Sourcing twice (a script calling another) must not grow PATH each time.
case ":$PATH:" in
    *":$orderly_tools_bin:"*) ;;
    *) export PATH="$orderly_tools_bin:$PATH" ;;
esac

unset orderly_root orderly_tools_bin
