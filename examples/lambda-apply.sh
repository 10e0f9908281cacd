#!/usr/bin/env bash
# Apply one rendered Lambda function (gitopsc's aws-cli output) idempotently with the AWS CLI:
#
#   examples/lambda-apply.sh rendered/prod/checkout-fn
#
# 1. target.json (when the config sets `aws`): use its region; refuse to run when the
#    credentials belong to another account than its `account`.
# 2. The function is missing: create-function (function.json; it publishes version 1).
#    It exists: update-function-configuration, wait, update-function-code, wait, then
#    publish-version (Lambda returns the latest version instead of a new one when nothing changed).
# 3. alias.json: create or update the alias. `FunctionVersion: "$LATEST"` (the default) means
#    "the version this run published"; a number in it pins that version.
#
# Credentials come from the AWS CLI's usual chain (environment, profile, instance role).
# The files are read as gitopsc writes them (canonical JSON, one top-level key per line).
set -euo pipefail

dir=${1:?usage: lambda-apply.sh RENDERED_DIR (rendered/<environment>/<service>)}
[[ -f "$dir/function.json" ]] || { echo "lambda-apply: $dir/function.json not found" >&2; exit 2; }

# the string value of a top-level key of a gitopsc-rendered JSON file
field() { sed -n "s/^  \"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" "$1"; }

args=()
if [[ -f "$dir/target.json" ]]; then
  region=$(field "$dir/target.json" region)
  account=$(field "$dir/target.json" account)
  [[ -z "$region" ]] || args=(--region "$region")
  if [[ -n "$account" ]]; then
    actual=$(aws sts get-caller-identity --query Account --output text "${args[@]}")
    if [[ "$actual" != "$account" ]]; then
      echo "lambda-apply: refusing: the credentials are for account $actual, $dir is for $account" >&2
      exit 1
    fi
  fi
fi

fn=$(field "$dir/function.json" FunctionName)
if aws lambda get-function --function-name "$fn" "${args[@]}" >/dev/null 2>&1; then
  aws lambda update-function-configuration --cli-input-json "file://$dir/update-function-configuration.json" "${args[@]}" >/dev/null
  aws lambda wait function-updated --function-name "$fn" "${args[@]}"
  aws lambda update-function-code --cli-input-json "file://$dir/update-function-code.json" "${args[@]}" >/dev/null
  aws lambda wait function-updated --function-name "$fn" "${args[@]}"
  version=$(aws lambda publish-version --function-name "$fn" --query Version --output text "${args[@]}")
else
  version=$(aws lambda create-function --cli-input-json "file://$dir/function.json" --query Version --output text "${args[@]}")
  aws lambda wait function-active --function-name "$fn" "${args[@]}"
fi
echo "lambda-apply: $fn is at version $version"

if [[ -f "$dir/alias.json" ]]; then
  alias=$(field "$dir/alias.json" Name)
  pinned=$(field "$dir/alias.json" FunctionVersion)
  [[ "$pinned" == '$LATEST' || -z "$pinned" ]] || version=$pinned
  if aws lambda get-alias --function-name "$fn" --name "$alias" "${args[@]}" >/dev/null 2>&1; then
    aws lambda update-alias --cli-input-json "file://$dir/alias.json" --function-version "$version" "${args[@]}" >/dev/null
  else
    aws lambda create-alias --cli-input-json "file://$dir/alias.json" --function-version "$version" "${args[@]}" >/dev/null
  fi
  echo "lambda-apply: alias $alias -> $fn:$version"
fi
