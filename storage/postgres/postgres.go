package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lockstep-id/lockstep/storage"
)

var _ storage.Storage = (*Store)(nil)

// connectTimeout bounds one connection attempt unless the DSN sets connect_timeout.
const connectTimeout = 5 * time.Second

// Store is the PostgreSQL backend. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// Option changes how Open sets up the store's connections.
type Option func(*pgx.ConnConfig)

// WithTracer has every connection report its statements and batches to t (which
// may also be a pgx.BatchTracer and pgx.PrepareTracer), so tests can count round
// trips.
func WithTracer(t pgx.QueryTracer) Option {
	return func(c *pgx.ConnConfig) { c.Tracer = t }
}

// Open connects a pool to dsn (a URL or key=value string pgx understands) and checks
// that the server answers. It does not migrate: run Migrate first.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", unavailable(err))
	}
	for _, o := range opts {
		o(cfg.ConnConfig)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without connect_timeout in the DSN a connect to a stopped server waits
		// for the request's context; bound it so requests answer 503 promptly.
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		// Return every timestamptz in UTC instead of time.Local.
		conn.TypeMap().RegisterType(&pgtype.Type{
			Name:  "timestamptz",
			OID:   pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", unavailable(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", unavailable(err))
	}
	return &Store{pool: pool}, nil
}

// Ping checks that a connection to the server works.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", unavailable(err))
	}
	return nil
}

// Close waits for borrowed connections to return and closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// translate turns the driver errors callers must recognise into storage sentinels.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("%w (%s)", storage.ErrAlreadyExists, pgErr.ConstraintName)
	}
	return unavailable(err)
}

// exec runs a statement that must touch exactly one row; touching none is ErrNotFound.
func (s *Store) exec(ctx context.Context, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// count runs a statement and returns how many rows it touched.
func (s *Store) count(ctx context.Context, sql string, args ...any) (int, error) {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return 0, unavailable(err)
	}
	return int(tag.RowsAffected()), nil
}

// conflictOrNotFound explains a guarded UPDATE that touched no row: ErrConflict if
// the row exists (the guard failed), ErrNotFound if not. It costs a round trip only
// on that failure path.
func (s *Store) conflictOrNotFound(ctx context.Context, existsSQL string, args ...any) error {
	var ok bool
	if err := s.pool.QueryRow(ctx, existsSQL, args...).Scan(&ok); err != nil {
		return err
	}
	if ok {
		return storage.ErrConflict
	}
	return storage.ErrNotFound
}

// list runs a query and scans every row it returns.
func list[T any](ctx context.Context, s *Store, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}

// nullTime maps the zero time, which the records use for "unset", to NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// utcProofs puts times decoded from jsonb into UTC, like timestamptz columns.
func utcProofs(ps []storage.FactorProof) {
	for i := range ps {
		ps[i].At = ps[i].At.UTC()
	}
}
