package sqlalert

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The objects of the Alerts API v2 (/api/2.0/alerts), the Queries API
// (/api/2.0/sql/queries) and the Notification Destinations API
// (/api/2.0/notification-destinations), with the field names of
// Databricks' API reference and SDKs
// (https://docs.databricks.com/api/workspace/alertsv2,
// https://docs.databricks.com/api/workspace/queries,
// https://docs.databricks.com/api/workspace/notificationdestinations).
// Package web encodes them as they are; fields the server sets are
// overwritten whatever a client sends.

// Alert states (AlertEvaluationState).
const (
	StateUnknown   = "UNKNOWN"
	StateOK        = "OK"
	StateTriggered = "TRIGGERED"
	StateError     = "ERROR"
)

// Lifecycle states.
const (
	Active  = "ACTIVE"
	Trashed = "TRASHED" // a query in the trash
	Deleted = "DELETED" // an alert in the trash (AlertLifecycleState)
)

// Alert is an AlertV2: a query, a condition on one of its columns and a
// schedule.
type Alert struct {
	ID                string     `json:"id,omitempty"`
	DisplayName       string     `json:"display_name"`
	QueryText         string     `json:"query_text"`
	WarehouseID       string     `json:"warehouse_id"`
	Evaluation        Evaluation `json:"evaluation"`
	Schedule          Schedule   `json:"schedule"`
	CustomSummary     string     `json:"custom_summary,omitempty"`
	CustomDescription string     `json:"custom_description,omitempty"`
	ParentPath        string     `json:"parent_path,omitempty"`
	RunAs             *RunAs     `json:"run_as,omitempty"`
	RunAsUserName     string     `json:"run_as_user_name,omitempty"`
	EffectiveRunAs    *RunAs     `json:"effective_run_as,omitempty"`
	OwnerUserName     string     `json:"owner_user_name,omitempty"`
	LifecycleState    string     `json:"lifecycle_state,omitempty"`
	CreateTime        string     `json:"create_time,omitempty"`
	UpdateTime        string     `json:"update_time,omitempty"`
}

// Evaluation is AlertV2Evaluation: which value is compared with what, and
// the outcome of the last evaluation.
type Evaluation struct {
	ComparisonOperator string        `json:"comparison_operator"`
	Source             OperandColumn `json:"source"`
	Threshold          *Operand      `json:"threshold,omitempty"`
	EmptyResultState   string        `json:"empty_result_state,omitempty"`
	Notification       *Notification `json:"notification,omitempty"`
	State              string        `json:"state,omitempty"`
	LastEvaluatedAt    string        `json:"last_evaluated_at,omitempty"`
}

// OperandColumn names a result column, optionally aggregated over all rows
// (without aggregation the first row's value counts, as "First row" in
// the Databricks UI).
type OperandColumn struct {
	Name        string `json:"name"`
	Aggregation string `json:"aggregation,omitempty"`
	Display     string `json:"display,omitempty"`
}

// Operand is a threshold: another column or a constant.
type Operand struct {
	Column *OperandColumn `json:"column,omitempty"`
	Value  *Value         `json:"value,omitempty"`
}

// Value is AlertV2OperandValue: exactly one of its fields is set.
type Value struct {
	DoubleValue *float64 `json:"double_value,omitempty"`
	StringValue *string  `json:"string_value,omitempty"`
	BoolValue   *bool    `json:"bool_value,omitempty"`
}

// Notification says whom to tell about state changes.
type Notification struct {
	NotifyOnOK       bool           `json:"notify_on_ok,omitempty"`
	RetriggerSeconds int64          `json:"retrigger_seconds,omitempty"`
	Subscriptions    []Subscription `json:"subscriptions,omitempty"`
}

// Subscription is a notification destination (a webhook) or a user.
type Subscription struct {
	DestinationID string `json:"destination_id,omitempty"`
	UserEmail     string `json:"user_email,omitempty"`
}

// Schedule is CronSchedule.
type Schedule struct {
	QuartzCronSchedule string `json:"quartz_cron_schedule"`
	TimezoneID         string `json:"timezone_id"`
	PauseStatus        string `json:"pause_status,omitempty"` // PAUSED or UNPAUSED
}

// RunAs is AlertV2RunAs: the principal whose privileges the query uses.
type RunAs struct {
	ServicePrincipalName string `json:"service_principal_name,omitempty"`
	UserName             string `json:"user_name,omitempty"`
}

// principal is the client id a RunAs names ("" for none).
func (r *RunAs) principal() string {
	if r == nil {
		return ""
	}
	if r.ServicePrincipalName != "" {
		return r.ServicePrincipalName
	}
	return r.UserName
}

// Query is a saved query (the Queries API's Query).
type Query struct {
	ID                   string   `json:"id,omitempty"`
	DisplayName          string   `json:"display_name,omitempty"`
	Description          string   `json:"description,omitempty"`
	QueryText            string   `json:"query_text,omitempty"`
	WarehouseID          string   `json:"warehouse_id,omitempty"`
	Catalog              string   `json:"catalog,omitempty"`
	Schema               string   `json:"schema,omitempty"`
	ParentPath           string   `json:"parent_path,omitempty"`
	RunAsMode            string   `json:"run_as_mode,omitempty"` // OWNER or VIEWER
	ApplyAutoLimit       bool     `json:"apply_auto_limit,omitempty"`
	Tags                 []string `json:"tags,omitempty"`
	OwnerUserName        string   `json:"owner_user_name,omitempty"`
	LastModifierUserName string   `json:"last_modifier_user_name,omitempty"`
	LifecycleState       string   `json:"lifecycle_state,omitempty"`
	CreateTime           string   `json:"create_time,omitempty"`
	UpdateTime           string   `json:"update_time,omitempty"`
}

// Destination is a notification destination; zbemu delivers the
// generic webhook kind only.
type Destination struct {
	ID              string             `json:"id,omitempty"`
	DisplayName     string             `json:"display_name,omitempty"`
	DestinationType string             `json:"destination_type,omitempty"` // WEBHOOK
	Config          *DestinationConfig `json:"config,omitempty"`
}

// DestinationConfig is the destination's Config; only generic_webhook.
type DestinationConfig struct {
	GenericWebhook *Webhook `json:"generic_webhook,omitempty"`
}

// Webhook is GenericWebhookConfig. The URL and password are secrets:
// reads show only url_set / password_set, as Databricks does.
type Webhook struct {
	URL         string `json:"url,omitempty"`
	URLSet      bool   `json:"url_set,omitempty"`
	Username    string `json:"username,omitempty"`
	UsernameSet bool   `json:"username_set,omitempty"`
	Password    string `json:"password,omitempty"`
	PasswordSet bool   `json:"password_set,omitempty"`
}

// Comparison operators (ComparisonOperator).
var operators = map[string]bool{"GREATER_THAN": true, "GREATER_THAN_OR_EQUAL": true, "LESS_THAN": true,
	"LESS_THAN_OR_EQUAL": true, "EQUAL": true, "NOT_EQUAL": true, "IS_NULL": true, "IS_NOT_NULL": true}

// Aggregations over the source column (Aggregation).
var aggregations = map[string]bool{"SUM": true, "COUNT": true, "COUNT_DISTINCT": true, "AVG": true,
	"MEDIAN": true, "MIN": true, "MAX": true, "STDDEV": true}

// Limits of what a client may store.
const (
	MaxNameLength      = 1024
	MaxQueryBytes      = 256 << 10
	MaxTextLength      = 4096 // custom_summary, custom_description, description
	MaxSubscriptions   = 100
	MaxURLLength       = 2048
	MaxTags            = 100
	MinEvaluationEvery = time.Second
)

func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return fmt.Errorf("%w: %s is required (a non-empty string)", ErrInvalid, field)
	case len(v) > max:
		return fmt.Errorf("%w: %s is %d bytes long; at most %d are allowed", ErrInvalid, field, len(v), max)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	return nil
}

// validate checks what a client set on an alert, naming the field. A rule
// of the zbemu alert API runs every interval instead of on a cron
// schedule (every > 0 and no expression).
func (a *Alert) validate(every time.Duration) error {
	if err := checkText("display_name", a.DisplayName, MaxNameLength, true); err != nil {
		return err
	}
	if err := checkText("query_text", a.QueryText, MaxQueryBytes, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"custom_summary", a.CustomSummary}, {"custom_description", a.CustomDescription}, {"parent_path", a.ParentPath}, {"warehouse_id", a.WarehouseID}} {
		if err := checkText(f.name, f.v, MaxTextLength, false); err != nil {
			return err
		}
	}
	ev := &a.Evaluation
	if !operators[ev.ComparisonOperator] {
		return fmt.Errorf("%w: evaluation.comparison_operator must be one of GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, EQUAL, NOT_EQUAL, IS_NULL, IS_NOT_NULL; got %q", ErrInvalid, ev.ComparisonOperator)
	}
	if err := ev.Source.validate("evaluation.source"); err != nil {
		return err
	}
	nullOp := ev.ComparisonOperator == "IS_NULL" || ev.ComparisonOperator == "IS_NOT_NULL"
	switch t := ev.Threshold; {
	case nullOp && t != nil && (t.Column != nil || t.Value != nil):
		return fmt.Errorf("%w: evaluation.threshold must be empty with %s, which compares with nothing", ErrInvalid, ev.ComparisonOperator)
	case nullOp:
	case t == nil || (t.Column == nil) == (t.Value == nil):
		return fmt.Errorf("%w: evaluation.threshold needs exactly one of column or value with %s", ErrInvalid, ev.ComparisonOperator)
	case t.Column != nil:
		if err := t.Column.validate("evaluation.threshold.column"); err != nil {
			return err
		}
	default:
		v := t.Value
		n := 0
		for _, set := range []bool{v.DoubleValue != nil, v.StringValue != nil, v.BoolValue != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%w: evaluation.threshold.value needs exactly one of double_value, string_value or bool_value, got %d", ErrInvalid, n)
		}
		if v.StringValue != nil {
			if err := checkText("evaluation.threshold.value.string_value", *v.StringValue, MaxTextLength, false); err != nil {
				return err
			}
		}
	}
	switch ev.EmptyResultState {
	case "", StateUnknown, StateOK, StateTriggered, StateError:
	default:
		return fmt.Errorf("%w: evaluation.empty_result_state must be OK, TRIGGERED, ERROR or UNKNOWN; got %q", ErrInvalid, ev.EmptyResultState)
	}
	if n := ev.Notification; n != nil {
		if len(n.Subscriptions) > MaxSubscriptions {
			return fmt.Errorf("%w: evaluation.notification.subscriptions has %d entries; at most %d are allowed", ErrInvalid, len(n.Subscriptions), MaxSubscriptions)
		}
		if n.RetriggerSeconds < 0 {
			return fmt.Errorf("%w: evaluation.notification.retrigger_seconds must be 0 or more, got %d", ErrInvalid, n.RetriggerSeconds)
		}
		for i, s := range n.Subscriptions {
			if (s.DestinationID == "") == (s.UserEmail == "") {
				return fmt.Errorf("%w: evaluation.notification.subscriptions[%d] needs exactly one of destination_id or user_email", ErrInvalid, i)
			}
			if err := checkText(fmt.Sprintf("evaluation.notification.subscriptions[%d]", i), s.DestinationID+s.UserEmail, MaxNameLength, false); err != nil {
				return err
			}
		}
	}
	if every == 0 || a.Schedule.QuartzCronSchedule != "" {
		if _, _, err := a.Schedule.parse(); err != nil {
			return err
		}
	}
	switch a.Schedule.PauseStatus {
	case "", "PAUSED", "UNPAUSED":
	default:
		return fmt.Errorf("%w: schedule.pause_status must be PAUSED or UNPAUSED; got %q", ErrInvalid, a.Schedule.PauseStatus)
	}
	return nil
}

func (c *OperandColumn) validate(field string) error {
	if err := checkText(field+".name", c.Name, MaxNameLength, true); err != nil {
		return err
	}
	if c.Aggregation != "" && !aggregations[c.Aggregation] {
		return fmt.Errorf("%w: %s.aggregation must be one of SUM, COUNT, COUNT_DISTINCT, AVG, MEDIAN, MIN, MAX, STDDEV; got %q", ErrInvalid, field, c.Aggregation)
	}
	return checkText(field+".display", c.Display, MaxNameLength, false)
}

// parse parses the schedule's expression and time zone (default UTC).
func (s Schedule) parse() (cron, *time.Location, error) {
	c, err := parseCron(s.QuartzCronSchedule)
	if err != nil {
		return cron{}, nil, fmt.Errorf("%w: schedule.quartz_cron_schedule %v", ErrInvalid, err)
	}
	if s.TimezoneID == "" {
		return c, time.UTC, nil
	}
	loc, err := time.LoadLocation(s.TimezoneID)
	if err != nil || len(s.TimezoneID) > 64 {
		return cron{}, nil, fmt.Errorf("%w: schedule.timezone_id %q is not a time zone id (e.g. UTC, Europe/Amsterdam)", ErrInvalid, s.TimezoneID)
	}
	return c, loc, nil
}

// checkWebhookURL accepts absolute http(s) URLs without credentials (those
// go in username and password).
func checkWebhookURL(field, raw string) error {
	if len(raw) > MaxURLLength {
		return fmt.Errorf("%w: %s is %d bytes long; at most %d are allowed", ErrInvalid, field, len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%w: %s %q is not an absolute http(s) URL", ErrInvalid, field, raw)
	case u.User != nil:
		return fmt.Errorf("%w: %s must not carry credentials; set config.generic_webhook.username and password instead", ErrInvalid, field)
	}
	return nil
}
