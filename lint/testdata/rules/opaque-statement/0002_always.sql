-- safe: always
DO $$
BEGIN
  PERFORM refresh_search_index(); -- want "opaque-statement" "contract-before-deploy"
END
$$;
