# Sourced by bench scripts: `bench_account BASE EMAIL LOG` signs up an account on a `viva`
# started with --print-mail (its log in LOG), confirms it with the printed code, signs in and
# prints the Cookie header value.
bench_account() {
  local base="$1" email="$2" log="$3" pw="tangerine-Velvet-harbour-42" code=""
  local post=(curl -s -o /dev/null -H "Origin: $base" -H 'Accept: application/json' -X POST)
  "${post[@]}" "$base/api/auth/sign_up" --data-urlencode "form[name]=Bench" --data-urlencode "form[email]=$email" \
    --data-urlencode "form[password]=$pw" --data-urlencode "form[job_role]=Backend engineer" \
    --data-urlencode "form[experience]=senior" --data-urlencode "form[age_confirmed]=on" --data-urlencode "form[accept_terms]=on"
  for _ in $(seq 100); do
    code=$(awk -v e="e-mail to $email" 'index($0, e) {f=1} f' "$log" | grep -oE '\b[0-9]{6}\b' | head -1 || true)
    [ -n "$code" ] && break; sleep 0.1
  done
  "${post[@]}" "$base/api/auth/verify_email" --data-urlencode "email=$email" --data-urlencode "code=$code"
  curl -s -D - -o /dev/null -H "Origin: $base" -H 'Accept: application/json' -X POST "$base/api/auth/sign_in" \
    --data-urlencode "email=$email" --data-urlencode "password=$pw" |
    awk -F': ' 'tolower($1)=="set-cookie" {split($2,a,";"); printf "%s; ", a[1]}'
}

# `bench_server_fn_lua BASE FILE` writes a wrk script that calls a server function (POST, the
# site's Origin, JSON answer, empty form body) to FILE.
bench_server_fn_lua() {
  cat > "$2" <<LUA
wrk.method = "POST"
wrk.headers["Origin"] = "$1"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = ""
LUA
}
