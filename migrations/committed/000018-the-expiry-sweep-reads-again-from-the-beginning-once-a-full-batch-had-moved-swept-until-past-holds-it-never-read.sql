--! Previous: sha1:5e07132a96d4e68b7ed8c723ba0ac7ff8793ae45
--! Hash: sha1:f9ffdb09535024d79aa9a93f2383d6213d15b8c8
--! Message: The expiry sweep reads again from the beginning once: a full batch had moved swept_until past holds it never read

-- llm.expire_holds no longer moves swept_until past holds a full batch left unread (sql/api/105-operator.sql). Holds an
-- earlier sweep skipped that way were never charged: the next sweep reads from the beginning once.
update llm_private.settings set swept_until = '-infinity';
