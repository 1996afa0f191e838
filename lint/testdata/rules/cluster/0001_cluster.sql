-- safe: always
CLUSTER users USING users_pkey; -- want "cluster"
